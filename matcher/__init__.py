"""Job-demand and training matching engine for a city's public employment service."""
