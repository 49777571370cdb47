"""open311: the Open311 GeoReport v2 facade over the complaint intake and the public status of complaints."""
