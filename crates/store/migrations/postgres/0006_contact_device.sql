-- What the widget last reported about the visitor's browser, for the agents' customer panel.
ALTER TABLE contacts ADD COLUMN user_agent TEXT;
ALTER TABLE contacts ADD COLUMN timezone TEXT;
