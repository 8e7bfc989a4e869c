SELECT * FROM main.mix_report ORDER BY domain;
