/* bulwark-everything: the fixture server. Registration functions per area. */
#ifndef EVERYTHING_H
#define EVERYTHING_H

#include <bulwark/bulwark.h>

/* A 1x1 PNG and a tiny WAV, base64. */
extern const char everything_png_b64[];
extern const char everything_wav_b64[];

/* true: register echo without BW_TOOL_NONBLOCKING, so it runs on the worker pool (for benchmarks). */
extern bool everything_echo_on_workers;

int everything_add_modern_tools(bw_server *srv);
int everything_add_tools(bw_server *srv);
int everything_add_client_tools(bw_server *srv);
int everything_add_tasks_tools(bw_server *srv);
int everything_add_resources(bw_server *srv);
int everything_add_prompts(bw_server *srv);
int everything_add_skills(bw_server *srv);
/* Observability flags (observe.c): 1 when argv[*i] was one (its value consumed), 0 when not, -1 on a bad value. */
int everything_observe_arg(int argc, char **argv, int *i);
/* Applies the flags given; -1 (reason on stderr) when the server refused them. */
int everything_observe_apply(bw_server *srv);

#endif
