package web

import (
	"github.com/metersec/metersec/internal/account"
)

type createdToken struct {
	Token  string        `json:"token"`
	Detail account.Token `json:"detail"`
}
