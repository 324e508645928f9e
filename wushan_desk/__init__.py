"""wushan-desk: offline desktop app for Wushan County's education supervision centres."""

__version__ = "0.4.0"
