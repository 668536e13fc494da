"""Distances and grid cells for GPS positions.

The grid is a plain latitude/longitude grid of CELL degrees (about 670 m x 550 m
in Iran). It plays the role of a geohash: a unit is indexed under its own cell
and looked up in the 2 x 2 block of cells nearest to it (its own cell and the
neighbours on the sides of the cell it is closest to). Two positions less than
half a cell apart on each axis (> 270 m, beyond GPS disagreement between two
visits of one unit) therefore always meet, whichever side of a border they
fall on, with 4 look-ups instead of the 9 of a full neighbourhood.
"""

import math

CELL = 0.006  # degrees
EARTH_RADIUS_M = 6_371_000.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine; exact enough at these scales)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def degrees_along_meridian(metres: float) -> float:
    """How many degrees of latitude a north-south distance spans."""
    return math.degrees(metres / EARTH_RADIUS_M)


def cell(lat: float, lon: float) -> tuple[int, int]:
    """The grid cell holding a position."""
    return math.floor(lat / CELL), math.floor(lon / CELL)


def cell_name(row: int, col: int) -> str:
    return f"{row}:{col}"


def near_cells(lat: float, lon: float) -> list[str]:
    """Names of the 2 x 2 block of cells nearest to a position (its own cell first)."""
    row_f, col_f = lat / CELL, lon / CELL
    row, col = math.floor(row_f), math.floor(col_f)
    dr = 1 if row_f - row >= 0.5 else -1
    dc = 1 if col_f - col >= 0.5 else -1
    return [cell_name(row, col), cell_name(row + dr, col), cell_name(row, col + dc),
            cell_name(row + dr, col + dc)]
