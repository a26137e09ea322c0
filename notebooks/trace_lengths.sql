-- title: Trace length distribution
-- needs: accepted records with a reasoning trace (any finished build).
-- Characters per reasoning trace of accepted records (status done), as a histogram per kind. The bin width is a
-- 1-2-5 step chosen so the longest trace falls within about 20 bins; length_bin is the bin's lower edge.
-- chart: {"mark":"bar","x":"length_bin:O","y":"n:Q","color":"kind:N","title":"Trace length (characters) by kind"}
WITH t AS (
  SELECT coalesce(kind, '(unrouted)') AS kind, length(trace) AS len
  FROM records
  WHERE trace IS NOT NULL
),
b AS (
  SELECT greatest(max(len), 1) AS top, pow(10, floor(log10(greatest(max(len), 1) / 20.0))) AS base FROM t
),
w AS (
  SELECT greatest(1, CASE WHEN top / base <= 20 THEN base
                          WHEN top / (2 * base) <= 20 THEN 2 * base
                          WHEN top / (5 * base) <= 20 THEN 5 * base
                          ELSE 10 * base END)::BIGINT AS width
  FROM b
)
SELECT
  (floor(len / width) * width)::BIGINT AS length_bin,
  ((floor(len / width) + 1) * width - 1)::BIGINT AS length_to,
  kind,
  count(*) AS n
FROM t, w
GROUP BY ALL
ORDER BY length_bin, kind;
