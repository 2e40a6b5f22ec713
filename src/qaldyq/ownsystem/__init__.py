"""EPR through an own system: the half-yearly confirmation of Order No. 690 (see docs/ownsystem.md)."""
