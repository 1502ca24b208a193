/* Numbers with units as runc's flags take them: sizes ("512m") and durations ("250ms"). */
#ifndef HUSK_UNITS_H
#define HUSK_UNITS_H

/* Docker's sizes: an integer with an optional binary unit k, m, g, t (optionally followed by b,
 * any case); a bare number may be negative (-1: unlimited). 0, or -1 when text is not one. */
int hk_parse_size(const char *text, long long *out);
/* Go's durations as runc reads them, in ms (at least 1): "250ms", "5s", "1.5m", "1h"; a bare
 * number is seconds. 0, or -1 when text is not one or is beyond INT32_MAX ms. */
int hk_parse_duration_ms(const char *text, int *ms);

#endif
