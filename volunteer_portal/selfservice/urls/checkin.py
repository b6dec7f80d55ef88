"""URLs of the members' side: checkin (see urls/__init__.py)."""

urlpatterns: list = []
