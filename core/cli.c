/* cli.c -- the rnnlab command. Placeholder main until the CLI lands. */
#include <stdio.h>
int main(void) { return 0; }
