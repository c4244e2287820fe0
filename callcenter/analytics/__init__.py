"""Queue and clerk figures (KPIs) over the call log: definitions in :mod:`kpi`."""
