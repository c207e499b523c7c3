package cli

import "github.com/urfave/cli/v2"

// ownHelpFlags gives the app and each command a help flag of its own.
// urfave/cli otherwise adds its package-level HelpFlag to every flag set it
// builds and writes to that one shared value while parsing, so two apps
// parsing at once (the parallel tests, `make unit` with -race) race. The
// flag keeps urfave's names, so its help handling works as before.
func ownHelpFlags(app *cli.App) {
	help := func() cli.Flag {
		return &cli.BoolFlag{Name: "help", Aliases: []string{"h"}, Usage: "show help"}
	}
	app.HideHelp = true
	app.Flags = append(app.Flags, help())
	for _, c := range app.Commands {
		c.HideHelp = true
		c.Flags = append(c.Flags, help())
	}
	app.Commands = append(app.Commands, &cli.Command{
		Name:      "help",
		Aliases:   []string{"h"},
		Usage:     "show the commands, or one command's flags",
		ArgsUsage: "[COMMAND]",
		HideHelp:  true,
		Action: func(c *cli.Context) error {
			if name := c.Args().First(); name != "" {
				return cli.ShowCommandHelp(c, name)
			}
			return cli.ShowAppHelp(c)
		},
	})
}
