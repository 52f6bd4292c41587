"""The dashboard's built assets (``static/``), served by ``ceasefire serve`` at ``/``.
No Python logic lives here."""
