"""Views of the members' side: me."""
