"""Views of the members' side: queue."""
