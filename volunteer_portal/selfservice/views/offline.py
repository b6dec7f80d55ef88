"""Views of the members' side: offline."""
