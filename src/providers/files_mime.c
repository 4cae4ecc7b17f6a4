/* The extension -> MIME type table. Kept small and explicit: an unknown extension is served as
 * application/octet-stream (a blob) rather than guessed, and a configured mime_type overrides it. */
#include "providers/files_mime.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

typedef struct mime_row {
    const char *ext;
    const char *mime;
} mime_row;

static const mime_row table[] = {
    {"md", "text/markdown"},          {"markdown", "text/markdown"},    {"txt", "text/plain"},
    {"text", "text/plain"},           {"log", "text/plain"},            {"ini", "text/plain"},
    {"conf", "text/plain"},           {"csv", "text/csv"},              {"tsv", "text/tab-separated-values"},
    {"html", "text/html"},            {"htm", "text/html"},             {"css", "text/css"},
    {"js", "text/javascript"},        {"mjs", "text/javascript"},       {"ts", "text/x-typescript"},
    {"c", "text/x-c"},                {"h", "text/x-c"},                {"py", "text/x-python"},
    {"rs", "text/x-rust"},            {"go", "text/x-go"},              {"java", "text/x-java"},
    {"sh", "text/x-shellscript"},     {"rst", "text/x-rst"},            {"json", "application/json"},
    {"jsonl", "application/jsonl"},   {"ndjson", "application/x-ndjson"}, {"yaml", "application/yaml"},
    {"yml", "application/yaml"},      {"toml", "application/toml"},     {"xml", "application/xml"},
    {"sql", "application/sql"},       {"svg", "image/svg+xml"},         {"png", "image/png"},
    {"jpg", "image/jpeg"},            {"jpeg", "image/jpeg"},           {"gif", "image/gif"},
    {"webp", "image/webp"},           {"bmp", "image/bmp"},             {"ico", "image/vnd.microsoft.icon"},
    {"pdf", "application/pdf"},       {"zip", "application/zip"},       {"gz", "application/gzip"},
    {"tar", "application/x-tar"},     {"wasm", "application/wasm"},     {"mp3", "audio/mpeg"},
    {"wav", "audio/wav"},             {"ogg", "audio/ogg"},             {"mp4", "video/mp4"},
    {"webm", "video/webm"},
};

const char *bw_files_mime_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    if (dot && dot != base) {
        for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
            if (strcasecmp(dot + 1, table[i].ext) == 0)
                return table[i].mime;
    }
    return "application/octet-stream";
}

/* Compares the type's first n characters (the part before any ";" parameters) with word. */
static bool type_is(const char *mime, size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp(mime, word, n) == 0;
}

static bool type_ends_with(const char *mime, size_t n, const char *suffix)
{
    size_t m = strlen(suffix);
    return n >= m && strncasecmp(mime + n - m, suffix, m) == 0;
}

bool bw_files_mime_is_text(const char *mime)
{
    static const char *const text_apps[] = {"application/json", "application/jsonl", "application/x-ndjson",
                                            "application/yaml", "application/toml",  "application/xml",
                                            "application/sql",  "application/javascript"};
    size_t n = strcspn(mime, "; \t");
    if (strncasecmp(mime, "text/", 5) == 0)
        return true;
    for (size_t i = 0; i < sizeof text_apps / sizeof text_apps[0]; i++)
        if (type_is(mime, n, text_apps[i]))
            return true;
    return type_ends_with(mime, n, "+json") || type_ends_with(mime, n, "+xml") || type_ends_with(mime, n, "+yaml");
}
