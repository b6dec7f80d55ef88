"""URLs of the members' side: invites (see urls/__init__.py)."""

urlpatterns: list = []
