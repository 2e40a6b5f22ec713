"""Citizen channel: reports of illegal dumps and other violations, their moderation by the akimat
of the region, the reporter's private status page, and the public map."""
