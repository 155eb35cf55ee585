-- The 保健所 this desk belongs to (by its name in the prefecture's practice); the queue opens
-- on its area. None: the prefecture's own window, the whole prefecture.
ALTER TABLE desk_settings ADD COLUMN health_centre TEXT;
