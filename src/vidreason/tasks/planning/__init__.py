"""Planning families: reasoning by generation, where the video must carry out a solution.

- ``maze``: an agent walks from its start to the goal through a perfect maze;
- ``shortest-path``: an agent crosses a grid with obstacles by a shortest path;
- ``connect``: a pen draws a line joining two same-coloured dots around walls and other dots;
- ``sort``: coloured bars are sorted by height, swapping two neighbours at a time;
- ``sliding-puzzle``: the 8- or 15-puzzle slid into order, one tile at a time.

Ground truth comes from the solvers in ``vidreason/engines/solvers.py``; scenes and the
schedule from ``common.py``; the checks from ``vidreason/verifiers/grid.py``,
``sorting.py``, ``puzzle.py`` and ``planning.py``.
"""
