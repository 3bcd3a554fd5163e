//! Matchmaking rounds (对接活动): the weekly matchmaking (周对接) and the government–bank–enterprise
//! meetings (政银企对接会) at which banks meet listed enterprises; outcomes may name their round.

named_enum!(
    /// The kind of a round.
    RoundKind {
        /// 周对接: the standing weekly matchmaking.
        Weekly = "weekly" / "周对接",
        /// 政银企对接会: a meeting of the city, banks and enterprises.
        Conference = "conference" / "政银企对接会",
        /// 其他: a visit, a roadshow, a training.
        Other = "other" / "其他",
    }
);
