"""Views of the members' side: checkin."""
