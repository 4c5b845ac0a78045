package main

import (
	"github.com/lywatch/lywatch/config"
	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/klayout"
	"github.com/lywatch/lywatch/project"
)

// klayoutPusher pushes into the KLayouts pushTargets names.
func klayoutPusher(cfg *config.Config, proj *project.Project) (*ipc.Pusher, error) {
	proto, err := ipc.ParseProtocol(cfg.Protocol)
	if err != nil {
		return nil, err
	}
	return ipc.NewPusher(ipc.PusherOptions{Targets: pushTargets(cfg, proj.Dir, proto), Protocol: proto,
		Timeout: cfg.PushTimeout, Root: proj.Root}), nil
}

// pushTargets returns the addresses the loop pushes to, asked again before
// each push so that a KLayout started later is found: the settings'
// (--klayout, every one), else the one started for the project (named
// klayout_name or --klayout-name, else the project directory dir), else
// the only one running, else the protocol's default address.
func pushTargets(cfg *config.Config, dir string, proto ipc.Protocol) func() []string {
	if proto != ipc.ProtoLywatch {
		return func() []string {
			if len(cfg.KLayout) > 0 {
				return cfg.KLayout
			}
			return []string{""} // the protocol's default address
		}
	}
	name := cfg.KLayoutName
	if name == "" {
		name = dir
	}
	return func() []string { return klayout.Resolve(name, cfg.KLayout) }
}
