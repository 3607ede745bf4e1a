"""Behavioural kernels shared by the escalation model and its validation runs."""
