#include "render.h"
int
render_html(FILE *f, const json_t *statement)
{
    (void)statement;
    fputs("<!DOCTYPE html>\n", f);
    return 0;
}
