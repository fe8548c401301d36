"""The power system as a network: zones (buses), the interfaces between them, plants and demand by month and hour
type, solved with PyPSA and HiGHS for the extra load each zone can take (its deliverable surplus).

``system`` holds the model as plain tables; ``solve`` turns it into PyPSA networks and reads the answers back.
PyPSA is imported only here and by the build; ranking reads the solved table and never solves anything.
"""
