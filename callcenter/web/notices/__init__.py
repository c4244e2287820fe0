"""The notification inbox (通知), the duty rota (值班表) and the undelivered-notice backlog."""
