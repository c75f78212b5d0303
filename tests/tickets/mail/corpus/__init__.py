"""Generated corpus of real-world-shaped inbound e-mail (realworld.py); .eml files sit beside it."""
