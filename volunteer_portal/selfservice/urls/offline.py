"""URLs of the members' side: offline (see urls/__init__.py)."""

urlpatterns: list = []
