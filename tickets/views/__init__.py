"""HTML views of the agent workspace: the queues (queues.py) and the ticket page (ticket_page.py)."""
