"""Sessions: signing in to the web app by a link mailed to one's own address."""
