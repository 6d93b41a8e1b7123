/* libbpf's own messages, routed so they never break kiln's one-line errors. */
#ifndef KILN_LIBBPF_LOG_H
#define KILN_LIBBPF_LOG_H

/* Call before opening a BPF object: libbpf's warnings then show only with KILN_DEBUG set. */
void kiln_libbpf_quiet(void);

#endif
