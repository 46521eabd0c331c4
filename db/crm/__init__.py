"""The CRM's records: contacts, companies, deals, activities, pipelines, campaigns, feedback, views."""
