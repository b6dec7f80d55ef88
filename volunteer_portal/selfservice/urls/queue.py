"""URLs of the members' side: queue (see urls/__init__.py)."""

urlpatterns: list = []
