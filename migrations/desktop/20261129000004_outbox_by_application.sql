-- An application's pending actions, read each time the server answers one of them (the
-- desk's view of its status): found by application, not by scanning every pending action.
CREATE INDEX outbox_by_application ON outbox (application_id, state, id);
