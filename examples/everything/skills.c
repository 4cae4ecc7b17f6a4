/* The skills extension fixture: one skill, pdf-processing, with a supporting file in each of two subfolders (the
 * conformance suite's directory scenario needs a subfolder to descend into). Kept in memory so the binary needs no
 * files beside it; bw_server_add_skill_dir serves the same from a directory. */
#include <stdio.h>
#include <string.h>

#include "everything.h"

static const char skill_md[] =
    "---\n"
    "name: pdf-processing\n"
    "description: Extract, fill, and assemble PDF documents\n"
    "license: Apache-2.0\n"
    "metadata:\n"
    "  version: \"2.1.0\"\n"
    "---\n"
    "\n"
    "# PDF processing\n"
    "\n"
    "Use this skill to pull text and tables out of PDF files, to fill PDF forms and to merge documents.\n"
    "\n"
    "- To fill a form, read [the forms guide](references/FORMS.md) first.\n"
    "- To extract text, run `scripts/run.sh extract FILE.pdf`.\n";

static const char forms_md[] =
    "# Filling PDF forms\n"
    "\n"
    "1. List the form's fields with `scripts/run.sh fields FORM.pdf`.\n"
    "2. Write the values as JSON, one key per field name.\n"
    "3. Run `scripts/run.sh fill FORM.pdf VALUES.json OUT.pdf` and check OUT.pdf.\n";

static const char run_sh[] =
    "#!/bin/sh\n"
    "# Thin wrapper over poppler-utils and qpdf.\n"
    "set -eu\n"
    "case \"${1:-}\" in\n"
    "extract) pdftotext -layout \"$2\" - ;;\n"
    "fields) qpdf --json \"$2\" | grep -o '\"fieldname\": \"[^\"]*\"' ;;\n"
    "*) echo \"usage: run.sh extract|fields FILE.pdf\" >&2; exit 2 ;;\n"
    "esac\n";

int everything_add_skills(bw_server *srv)
{
    const bw_skill_file files[] = {
        {.path = "SKILL.md", .data = skill_md, .len = strlen(skill_md)},
        {.path = "references/FORMS.md", .data = forms_md, .len = strlen(forms_md)},
        {.path = "scripts/run.sh", .data = run_sh, .len = strlen(run_sh)},
    };
    bw_skill_def def = {.files = files, .n_files = sizeof files / sizeof files[0]};
    char err[256];
    if (bw_server_add_skill(srv, &def, err, sizeof err) != BW_OK) {
        fprintf(stderr, "bulwark-everything: skill pdf-processing: %s\n", err);
        return -1;
    }
    return 0;
}
