"""The trials table: Qt-free columns and filter, the table model, its view."""
