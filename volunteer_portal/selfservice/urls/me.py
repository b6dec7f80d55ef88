"""URLs of the members' side: me (see urls/__init__.py)."""

urlpatterns: list = []
