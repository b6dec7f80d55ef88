"""Views of the members' side: invites."""
