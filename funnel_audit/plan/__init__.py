"""Objectives, tactics and a dated content calendar that fill the gaps."""
