"""The web panel: pages for clerks and supervisors, a JSON API, and the live call feed."""
