"""China time: the hotline's clocks, deadlines and quiet hours are read in it (working days are in
services/common/working_calendar.py)."""

from zoneinfo import ZoneInfo

CHINA_TIME = ZoneInfo("Asia/Shanghai")
