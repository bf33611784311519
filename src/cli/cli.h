/* The rampart CLI: one entry point per subcommand, each in its own file,
 * dispatched from the table in main.c.  Each returns the exit status. */
#ifndef RAMPART_CLI_CLI_H
#define RAMPART_CLI_CLI_H

extern const char *prog_name;

int genkey_main(int argc, char *argv[]);
int genpsk_main(int argc, char *argv[]);
int pubkey_main(int argc, char *argv[]);
int strip_main(int argc, char *argv[]);
int up_main(int argc, char *argv[]);
int down_main(int argc, char *argv[]);
int show_main(int argc, char *argv[]);
int showconf_main(int argc, char *argv[]);
int set_main(int argc, char *argv[]);
int setconf_main(int argc, char *argv[]);
int addconf_main(int argc, char *argv[]);
int syncconf_main(int argc, char *argv[]);

#endif
