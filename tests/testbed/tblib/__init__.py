"""Shared code for the KalkiEdge testbed servers and traffic tools (python3 stdlib only)."""
