"""The power system as a network: zones (buses), the interfaces between them, plants and demand by month and hour
type, solved with PyPSA and HiGHS for the extra load each zone can take (its deliverable surplus).

``system`` holds the model as plain tables; ``solve`` turns it into PyPSA networks and reads the answers back.
PyPSA is imported only here (on first use: ``solve.pypsa_module``) and by the build; ranking on the built-in data reads
the solved table and never solves anything. A grid model the user brings (``grid_file``, ``pypsa_model``,
``user_model``; read by ``netcdf_reader`` in a process of its own) is solved when it is given.
"""
