"""Short news-style articles written for the offline demo (first half).

Places, people and events are invented. Each entry is (article, summary sentences); the
summary is 1–3 sentences and is stored one sentence per line.
"""

ARTICLES = [
    (
        "The town council of Marbridge voted on Tuesday evening to close the old swimming pool on "
        "Mill Street at the end of the summer. The building, which opened in 1968, needs a new roof "
        "and new heating, and engineers estimated the repairs at 2.4 million pounds. Council leader "
        "Janet Hollis said the town could not justify the cost when a new leisure centre is due to "
        "open two miles away next spring. Several residents spoke against the decision during the "
        "meeting, arguing that older people and schoolchildren rely on a pool they can reach on foot. "
        "The council promised to run a free bus between the town centre and the new leisure centre "
        "for at least two years. The pool's swimming club, which has around 300 members, will move its "
        "training sessions to the new centre, and the club's chair said members were sad but "
        "understood the decision. Schools that use the pool for lessons will be offered the same "
        "number of hours at the new site. The council has not yet decided what will happen to the "
        "building, which stands on a valuable site close to the river. Options include selling it to "
        "a developer for housing or turning it into a community hall, and residents will be asked "
        "for their views in a consultation later this year.",
        ["Marbridge council voted to close the old Mill Street swimming pool at the end of the summer "
         "because repairs would cost 2.4 million pounds.",
         "A new leisure centre opens next spring, and the council promised a free bus to it for at "
         "least two years."],
    ),
    (
        "Heavy snow closed schools and roads across the northern hills on Monday, leaving some "
        "villages cut off for most of the day. Up to forty centimetres fell overnight, and strong "
        "winds piled drifts against walls and hedges. Gritting lorries worked through the night, but "
        "the main road over Carrow Pass remained closed until late afternoon. Power was lost in around "
        "1,200 homes when a falling tree brought down a line near Elsby; engineers restored supplies "
        "by the evening. Forecasters expect temperatures to stay below freezing for the rest of the "
        "week and have warned drivers to expect icy surfaces, especially in the early morning.",
        ["Up to forty centimetres of snow closed schools and roads in the northern hills on Monday.",
         "About 1,200 homes lost power for several hours, and forecasters warn of icy roads for the "
         "rest of the week."],
    ),
    (
        "A family of otters has returned to the River Lune in Kelsey for the first time in more than "
        "thirty years, according to the local wildlife trust. Volunteers first noticed footprints on a "
        "sandbank in March, and hidden cameras later filmed an adult female with two cubs near the old "
        "mill. The trust says cleaner water is the main reason for the return. Over the past decade "
        "farmers along the river have planted hedges to stop soil washing into the water, and a sewage "
        "works upstream was modernised in 2019. The trust has asked dog walkers to keep their animals "
        "on a lead along the riverbank during the breeding season.",
        ["Otters have returned to the River Lune in Kelsey for the first time in over thirty years.",
         "The local wildlife trust credits cleaner water, helped by new hedges and a modernised sewage "
         "works."],
    ),
    (
        "Port Elmer Rovers won the regional cup on Saturday, beating Greyhaven Town 3-1 in front of a "
        "record crowd of 4,800. Greyhaven took the lead after twenty minutes through a header from "
        "their captain, but Rovers equalised just before half-time when striker Dan Okafor finished a "
        "long pass from midfield. Okafor scored again shortly after the break, and substitute Leo Marsh "
        "added a third goal in the final minute. It is the first trophy for Rovers in nineteen years. "
        "Manager Claire Dunn said the win belonged to the supporters who had stayed loyal through "
        "several difficult seasons.",
        ["Port Elmer Rovers beat Greyhaven Town 3-1 to win the regional cup, their first trophy in "
         "nineteen years.",
         "Striker Dan Okafor scored twice in front of a record crowd of 4,800."],
    ),
    (
        "Researchers at the University of Northfield say a simple change to school timetables could "
        "help teenagers sleep more. In a study of six secondary schools, three schools moved the start "
        "of the day from 8.30 to 9.15 for one year, while the other three kept their usual times. "
        "Pupils at the later-starting schools slept on average 34 minutes longer on school nights and "
        "reported feeling less tired in morning lessons. Attendance also improved slightly. The "
        "researchers cautioned that the study was small and that later starts can cause problems for "
        "parents who work early shifts. They now plan a larger trial involving twenty schools. "
        "Head teachers at the three schools that took part said the change had required careful "
        "planning, because school buses and after-school clubs also had to move. Sports fixtures "
        "against other schools were sometimes difficult to arrange. One head teacher said the "
        "calmer mornings had been worth the effort, and all three schools have decided to keep the "
        "later start. A parents' group has asked the county to consider later starts at every "
        "secondary school, but officials say they will wait for the results of the larger study "
        "before making any recommendation.",
        ["A Northfield University study found that pupils at schools starting at 9.15 instead of 8.30 "
         "slept 34 minutes longer on school nights.",
         "The researchers plan a larger trial in twenty schools."],
    ),
    (
        "The bakery chain Hartley's is to open twelve new shops in the west of the country over the "
        "next eighteen months, creating about 150 jobs. The family-owned company, founded in 1952 as a "
        "single bakery in Ashford Vale, now runs 64 shops. Chief executive Sam Hartley said sales had "
        "grown strongly since the company began selling sandwiches and hot drinks for commuters at "
        "railway stations. Five of the new shops will be at stations. The company also plans to build "
        "a second bakery to supply the new branches, although it has not yet chosen a site. Hartley "
        "said all new staff would be paid above the national living wage.",
        ["Bakery chain Hartley's will open twelve new shops in the west over eighteen months, creating "
         "about 150 jobs.",
         "Five of the shops will be at railway stations, and the company plans a second bakery."],
    ),
    (
        "A rare book stolen from the Linton town library more than forty years ago has been returned "
        "by post. The book, a 1790 atlas of the county with hand-coloured maps, arrived last week in a "
        "parcel with no return address. A short typed note inside said only that the sender had found "
        "it while clearing a relative's house and wanted it to go home. Librarian Ruth Adams said staff "
        "recognised the atlas immediately from the library stamp on the title page. The atlas was "
        "reported missing in 1981. An expert has valued it at around 8,000 pounds, and it will go on "
        "display in a locked case next month.",
        ["An atlas from 1790 stolen from Linton library in 1981 has been returned anonymously by post.",
         "Valued at about 8,000 pounds, it will go on display next month."],
    ),
    (
        "Commuters faced delays of up to two hours on Wednesday morning after a signal failure near "
        "Carlow Junction stopped all trains between Northfield and the city. The fault began shortly "
        "after six o'clock, at the start of the busiest part of the day. Some passengers left stranded "
        "trains and walked along the platform at Carlow to find buses, but replacement coaches took "
        "more than an hour to arrive. The rail operator said a cable had been damaged by water after "
        "heavy rain overnight. Services returned to normal by eleven o'clock. The operator apologised "
        "and said passengers delayed by more than thirty minutes could claim compensation online.",
        ["A signal failure near Carlow Junction on Wednesday morning stopped trains between Northfield "
         "and the city, causing delays of up to two hours.",
         "Water had damaged a cable, and delayed passengers can claim compensation."],
    ),
    (
        "Farmers in the Elm Valley expect a poor apple harvest this autumn after a late frost in April "
        "damaged blossom on many trees. Growers say yields could be down by as much as half compared "
        "with last year. The frost arrived on two nights when the trees were in full flower, and "
        "temperatures fell to minus four degrees in low-lying orchards. Some larger farms protected "
        "their trees with fans and small heaters, but most family growers could not afford such "
        "equipment. The local cider makers' association said prices for apple juice and cider were "
        "likely to rise, and some producers may buy fruit from other regions to meet orders.",
        ["A late frost in April damaged blossom in the Elm Valley, and apple harvests could be down by "
         "as much as half.",
         "Cider makers expect prices to rise."],
    ),
    (
        "A nine-year-old girl from Greyhaven has won a national poetry competition for children with a "
        "poem about her grandfather's fishing boat. Maya Patel's poem, called The Blue Hull, was chosen "
        "from more than 11,000 entries. The judges praised its simple language and the way it described "
        "the sea through the eyes of a child. Maya wrote the poem during a school project about local "
        "history. Her prize includes a set of books for her school library and a trip to the capital, "
        "where she will read her poem at a festival in June. Her teacher said the whole class was "
        "delighted.",
        ["Nine-year-old Maya Patel from Greyhaven won a national children's poetry competition with a "
         "poem about her grandfather's fishing boat.",
         "Her poem was chosen from more than 11,000 entries."],
    ),
    (
        "The hospital in Ashford Vale has opened a new children's ward after a two-year building "
        "project. The ward has twenty beds, a playroom and a small garden, and each room has space for "
        "a parent to stay overnight. Nurses helped to design the layout so that every bed can be seen "
        "from the central desk. The project cost 6.5 million pounds, of which 900,000 pounds came from "
        "local fundraising, including a sponsored walk that raised 120,000 pounds on its own. The old "
        "children's ward, built in the 1970s, will be turned into offices and training rooms for "
        "hospital staff.",
        ["Ashford Vale hospital has opened a new twenty-bed children's ward with a playroom, a garden "
         "and space for parents to stay.",
         "Local fundraising provided 900,000 pounds of the 6.5 million pound cost."],
    ),
    (
        "Police in Marbridge are asking the public for help after more than thirty bicycles were "
        "stolen from the railway station in the past month. Most of the bikes were taken between ten "
        "in the morning and four in the afternoon, when the bike racks are busiest but few staff are "
        "on the platforms. Officers believe a small group is responsible and that the bikes are being "
        "sold online. The station operator will install new cameras over the racks next week. Police "
        "advised cyclists to use two locks, to record their frame numbers and to register their bikes "
        "on the national database so that stolen bikes can be returned.",
        ["More than thirty bicycles have been stolen from Marbridge railway station in the past month.",
         "Police believe a small group is selling them online and advise cyclists to use two locks and "
         "register their bikes."],
    ),
    (
        "A new bus route linking the villages of the upper Lune valley with Kelsey market town will "
        "start running next month. The service will run every two hours from seven in the morning "
        "until seven in the evening, Monday to Saturday. Until now, residents of the six villages have "
        "had only one bus a week, on market day. The route is paid for by the county council for three "
        "years as a trial. Council officers will count passengers, and the service will continue only "
        "if enough people use it. Villagers welcomed the news, saying many older residents had been "
        "unable to reach the doctor or the shops without help.",
        ["A new bus route will connect six upper Lune valley villages with Kelsey every two hours, "
         "Monday to Saturday.",
         "The county council is funding it as a three-year trial; until now the villages had one bus "
         "a week."],
    ),
    (
        "Scientists working on a glacier in the far north have recorded the fastest summer melting in "
        "twenty years of measurements. The team, led by Dr Ingrid Solberg, placed stakes in the ice and "
        "measured how much surface was lost each week between June and September. On average the "
        "glacier lost 2.3 metres of ice this summer, compared with 1.4 metres a year in the 2000s. "
        "The researchers said a warm, cloudless July was mostly to blame, but that the long-term trend "
        "was clear. Meltwater from the glacier feeds rivers used by farms and a small hydroelectric "
        "power station further down the valley. The team also found that the front of the glacier "
        "had retreated by almost forty metres since last year, exposing bare rock that had been "
        "covered by ice for centuries. A lake has formed at the foot of the glacier, and "
        "researchers are monitoring it closely because such lakes can sometimes burst through "
        "their natural dams. Dr Solberg said the measurements would be shared with an "
        "international database that tracks the health of glaciers around the world. The team "
        "plans to return next spring to measure how much snow falls on the glacier during the "
        "winter.",
        ["A glacier in the far north lost 2.3 metres of ice this summer, the fastest melting in twenty "
         "years of measurements.",
         "Scientists blamed a warm, cloudless July but said the long-term trend was clear."],
    ),
    (
        "The Greyhaven Arts Festival will return this summer after a three-year break, organisers "
        "announced on Friday. The festival, which once drew 30,000 visitors, was cancelled after its "
        "main sponsor withdrew. A group of local businesses has now agreed to share the costs. This "
        "year's event will be smaller, with four days of music, theatre and street performances "
        "instead of ten. Most events in the harbour square will be free, and tickets for the evening "
        "concerts will go on sale in May. The organisers are looking for around two hundred volunteers "
        "to help with stewarding, information stands and cleaning.",
        ["The Greyhaven Arts Festival returns this summer after a three-year break, funded by a group "
         "of local businesses.",
         "It will run for four days instead of ten, with most harbour square events free."],
    ),
    (
        "A small software company in Northfield has developed an app that helps farmers check the "
        "health of their crops using photographs taken with a phone. Farmers photograph a few leaves, "
        "and the app compares them with thousands of images to spot signs of disease or a lack of "
        "nutrients. The company, founded by two former agriculture students, tested the app on forty "
        "farms last year. It says the app correctly identified the most common wheat diseases in nine "
        "cases out of ten. The app is free for small farms, while larger businesses pay a monthly fee. "
        "The company plans to add vegetables next year.",
        ["A Northfield company has made a phone app that spots crop diseases from photographs of "
         "leaves.",
         "Tested on forty farms, it identified common wheat diseases correctly nine times out of ten "
         "and is free for small farms."],
    ),
    (
        "Residents of Elm Street in Linton have complained about a large crack that has appeared in "
        "the road outside their houses. The crack, about fifteen metres long, opened after a water "
        "main burst in January. Residents say the road has been closed to cars since then, making it "
        "difficult for delivery vans and for older people waiting for taxis. The water company says "
        "the burst damaged the ground under the road and that repairs are complicated because of old "
        "gas pipes nearby. It expects the work to be finished by the end of April and has offered to "
        "pay for a parking space for each affected household.",
        ["A fifteen-metre crack has kept Elm Street in Linton closed to cars since a water main burst "
         "in January.",
         "The water company expects to finish repairs by the end of April."],
    ),
    (
        "Kelsey secondary school has become the first in the county to ban mobile phones for the whole "
        "school day. Pupils must now leave their phones in lockers when they arrive and may collect "
        "them at home time. The head teacher, Mark Osei, said teachers had noticed that pupils talked "
        "to each other more at lunchtime and that fewer lessons were interrupted. Some parents had "
        "worried that they would not be able to contact their children, so the school office now "
        "passes on urgent messages. A survey after the first term found that most pupils disliked the "
        "rule at first but had got used to it.",
        ["Kelsey secondary school has banned mobile phones for the whole school day, the first school "
         "in the county to do so.",
         "Teachers report fewer interrupted lessons, and most pupils say they have got used to the "
         "rule."],
    ),
    (
        "A fire destroyed a barn and several tonnes of hay at a farm near Elsby early on Sunday "
        "morning. The farmer, who lives on site, noticed smoke at about four o'clock and called the "
        "fire service. Five fire engines attended, and crews spent nine hours bringing the fire under "
        "control. Nobody was hurt, and the farmer moved sixty cows from a nearby shed to safety before "
        "the flames spread. Fire officers believe the hay caught fire by itself after being stored "
        "while still damp, which can cause it to heat up. They reminded farmers to check that hay is "
        "fully dry before stacking it.",
        ["A fire destroyed a barn and several tonnes of hay at a farm near Elsby on Sunday morning, "
         "but nobody was hurt.",
         "Fire officers think damp hay caught fire by itself."],
    ),
    (
        "The price of a weekly shop for a family of four has risen by eight per cent over the past "
        "year, according to a survey by a consumer group. The group compared the cost of forty "
        "everyday items, including bread, milk, pasta, fruit and cleaning products, at six large "
        "supermarkets every month. The biggest increases were for butter, coffee and olive oil, while "
        "the price of eggs and potatoes fell slightly. The cheapest supermarket was on average twelve "
        "per cent cheaper than the most expensive one for the same basket. The group advised shoppers "
        "to compare own-brand products, which were often much cheaper.",
        ["A weekly shop for a family of four costs eight per cent more than a year ago, a consumer "
         "group's survey found.",
         "Butter, coffee and olive oil rose most, and the cheapest supermarket was twelve per cent "
         "cheaper than the dearest."],
    ),
    (
        "Volunteers have finished restoring a nineteenth-century windmill on the hill above Ashford "
        "Vale, and its sails turned on Saturday for the first time since 1931. The project took eight "
        "years and was carried out almost entirely by a group of about thirty volunteers, many of them "
        "retired engineers and carpenters. New sails were made from larch wood grown on a local estate. "
        "The mill can now grind flour again, and the group plans to sell small bags of it to visitors. "
        "The windmill will be open to the public on the first Sunday of every month from April to "
        "October.",
        ["Volunteers have restored a nineteenth-century windmill above Ashford Vale, and its sails "
         "turned on Saturday for the first time since 1931.",
         "It can grind flour again and will open to visitors monthly from April to October."],
    ),
    (
        "A survey of the coastline near Port Elmer has found that the amount of plastic litter on "
        "beaches has fallen by almost a third in five years. Volunteers collected and counted litter "
        "along the same one-kilometre stretches of beach every spring. The number of plastic bags "
        "fell most sharply, which the organisers link to the charge on carrier bags introduced in "
        "shops. However, the number of small plastic pieces and fishing nets has not changed. The "
        "organisers said they would share their results with the fishing industry and would like more "
        "volunteers to join the next count in April.",
        ["Plastic litter on beaches near Port Elmer has fallen by almost a third in five years, a "
         "volunteer survey found.",
         "Plastic bags fell most sharply, but small plastic pieces and fishing nets have not "
         "decreased."],
    ),
    (
        "The historic market hall in Marbridge will reopen in September after a renovation costing "
        "3.1 million pounds. The hall, built in 1884, had been closed since a section of its glass roof "
        "collapsed during a storm. Builders have replaced the roof, repaired the iron columns and "
        "installed new lighting and heating. There will be space for forty market stalls, and the "
        "council wants at least half of them to be run by local food producers. Rents for new traders "
        "will be reduced for the first year. The council hopes the hall will bring more visitors into "
        "the town centre on weekdays.",
        ["Marbridge's 1884 market hall will reopen in September after a 3.1 million pound renovation "
         "following a roof collapse.",
         "It will have forty stalls, at least half of which the council wants run by local food "
         "producers."],
    ),
    (
        "A cyclist from Kelsey has completed a ride from the southern tip of the country to the "
        "northernmost lighthouse in nine days, raising money for a children's hospice. Tom Reid, 58, "
        "cycled about 1,400 kilometres, averaging more than 150 kilometres a day, and slept in tents "
        "and village halls along the way. He said the hardest day was in the mountains, where he rode "
        "into strong headwinds and heavy rain for ten hours. Reid took up cycling only four years ago "
        "after a heart operation. His ride has so far raised over 23,000 pounds for the hospice, which "
        "cared for his nephew.",
        ["Tom Reid, 58, from Kelsey, cycled about 1,400 kilometres across the country in nine days for "
         "a children's hospice.",
         "He took up cycling after a heart operation and has raised over 23,000 pounds."],
    ),
    (
        "The county council has approved plans for a solar farm on former farmland south of Northfield. "
        "The farm will cover about forty hectares and produce enough electricity for around 9,000 homes. "
        "The developer has agreed to plant new hedges around the site and to let sheep graze between "
        "the rows of panels. Some nearby residents objected that the panels would spoil views from a "
        "popular footpath, and the developer has changed the layout to keep panels away from the "
        "path. Construction is expected to begin next year and take about eight months. The panels "
        "will be removed and the land returned to farming after forty years. The developer will "
        "also pay about 40,000 pounds a year into a fund for community projects in the three "
        "nearest villages, such as improvements to village halls and playgrounds. A small battery "
        "store on the site will allow electricity to be saved during sunny afternoons and supplied "
        "to the grid in the evening, when demand is highest. Council officers said the project "
        "would help the county meet its target of producing most of its electricity from renewable "
        "sources by 2035. A second, smaller solar farm near Elsby is still waiting for a decision.",
        ["The county council approved a forty-hectare solar farm south of Northfield that will power "
         "about 9,000 homes.",
         "The layout was changed to keep panels away from a popular footpath, and sheep will graze "
         "between the rows."],
    ),
    (
        "A rescue team saved two walkers who became lost on Black Fell in thick fog on Saturday "
        "evening. The pair, both in their twenties, had set out without a map and relied on a phone "
        "app, but the phone battery ran out in the cold. They called for help from a second phone "
        "shortly after seven o'clock. Fourteen volunteers from the mountain rescue team found them two "
        "hours later, cold but unhurt, sheltering behind a wall. The team leader said walkers should "
        "always carry a paper map and compass and a spare battery, and should tell someone their route "
        "before setting off.",
        ["Mountain rescue volunteers found two walkers lost in thick fog on Black Fell on Saturday "
         "evening.",
         "Their phone battery had died, and the team urged walkers to carry a map, compass and spare "
         "battery."],
    ),
    (
        "A study of four hundred office workers suggests that people who take a short walk at lunchtime "
        "feel more positive and less stressed in the afternoon. The participants wore activity "
        "trackers and answered short questions on their phones three times a day for six weeks. On "
        "days when they walked for at least fifteen minutes at lunchtime, they reported higher "
        "enthusiasm and lower tension later in the day. The effect was strongest for people who "
        "walked outdoors. The researchers say employers could encourage lunchtime walks by offering "
        "flexible breaks, but they also note that the study did not measure work performance.",
        ["A study of four hundred office workers found that a lunchtime walk of fifteen minutes or "
         "more was linked to feeling less stressed in the afternoon.",
         "The effect was strongest for people who walked outdoors."],
    ),
    (
        "The last independent bookshop in Linton will close at the end of the month after forty-two "
        "years. Owner Margaret Ellis, 74, said she had decided to retire and had been unable to find a "
        "buyer for the business. She opened the shop with her late husband in a former bank building "
        "on the high street. Customers have left hundreds of messages in a book by the till, thanking "
        "her for recommendations and for the children's reading club she ran on Saturday mornings. "
        "Ellis said she would donate the remaining children's books to local primary schools before "
        "she locks the door for the last time.",
        ["Linton's last independent bookshop will close at the end of the month after forty-two "
         "years because its 74-year-old owner is retiring.",
         "Margaret Ellis could not find a buyer and will give the remaining children's books to local "
         "schools."],
    ),
    (
        "Engineers have begun repairing the sea wall at Greyhaven after winter storms washed away part "
        "of the promenade. Waves up to six metres high struck the town in February, damaging a "
        "hundred-metre stretch of the wall and flooding several cafes. The repairs will cost about 4 "
        "million pounds and are expected to take until the autumn. During the work, the promenade will "
        "be closed between the harbour and the lifeboat station. The council says the new wall will be "
        "higher and curved at the top to throw waves back out to sea, which should protect the town "
        "better as storms become more frequent.",
        ["Engineers have begun 4 million pound repairs to Greyhaven's sea wall after February storms "
         "destroyed part of the promenade.",
         "The new, higher wall should be finished in the autumn."],
    ),
    (
        "A new community garden has opened on a former car park in the centre of Port Elmer. Local "
        "residents built raised beds, planted fruit trees and laid paths over the past year with "
        "help from a gardening charity. The garden has forty small plots, which families can rent for "
        "ten pounds a year, and a shared area where volunteers grow vegetables for a food bank. A "
        "nearby primary school uses one corner as an outdoor classroom. The organisers say more than "
        "a hundred families have already asked for a plot, and they are looking for another unused "
        "site to start a second garden.",
        ["A community garden with forty rentable plots has opened on a former car park in Port Elmer.",
         "Volunteers grow vegetables there for a food bank, and more than a hundred families want a "
         "plot."],
    ),
]
