"""The ``sitefinder`` command line: one module per subcommand, shared options in ``common`` and
``data_options``; ``main`` registers them and runs one."""
