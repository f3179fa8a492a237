#include "render.h"
int
render_xlsx(const char *path, const json_t *statement, char *errbuf, size_t errbuf_size)
{
    (void)path;
    (void)statement;
    snprintf(errbuf, errbuf_size, "not yet");
    return -1;
}
