"""The application's outer edge stays small: few collaborators per class, one door per flow."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import fields

import application
from application.front_doors import FrontDoors
from entrypoints.container import bootstrap
from entrypoints.settings import Settings

# More collaborators than this and a class is a service locator again (issue 14).
MOST_PARAMETERS = 8


def application_classes() -> list[type]:
    found = []
    for module in pkgutil.walk_packages(application.__path__, "application."):
        loaded = importlib.import_module(module.name)
        for _, value in inspect.getmembers(loaded, inspect.isclass):
            if value.__module__ == module.name:
                found.append(value)
    return found


def is_data(cls: type) -> bool:
    """Return whether ``cls`` only carries data (a view, a row): its parameters are fields,
    not collaborators, when it has no behaviour but converting itself."""
    conversions = {"as_dict", "from_dict", "of"}
    behaviour = [
        name
        for name, member in vars(cls).items()
        if inspect.isfunction(member) and not name.startswith("_") and name not in conversions
    ]
    return not behaviour


def test_no_application_class_takes_more_than_eight_parameters() -> None:
    crowded = {}
    for cls in application_classes():
        init = vars(cls).get("__init__") or getattr(cls, "__init__", None)
        if init is object.__init__ or not inspect.isfunction(init):
            continue
        parameters = [
            p
            for p in inspect.signature(init).parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        if len(parameters) <= MOST_PARAMETERS or is_data(cls):
            continue
        crowded[f"{cls.__module__}.{cls.__qualname__}"] = len(parameters)
    assert crowded == {}


def test_the_container_builds_every_front_door() -> None:
    doors = bootstrap(Settings(backend="memory")).front_doors()
    assert isinstance(doors, FrontDoors)
    names = [field.name for field in fields(FrontDoors)]
    assert names == [
        "inbound",
        "outbound",
        "links",
        "reading",
        "admin",
        "sessions",
        "privacy",
        "feeds",
        "webhooks",
    ]
    for name in names:
        door = getattr(doors, name)
        assert type(door).__module__ == f"application.{name}.front_door"
