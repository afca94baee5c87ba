DROP TABLE panel_recommendations;
